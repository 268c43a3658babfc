"""What the queries answer, for the OpenAPI document: a module per area.

The routes answer `JSONResponse`s built by their `represent`/`directory_item` functions;
these models describe those answers (`responses=read_of(CustomerView)` and the like) and
the fuzz test holds the server to them. A field that may be null says so (`| None`); a
field that may be absent has a default. Objects allow members not listed here.
"""
