"""The HTTP interface of API.md."""
