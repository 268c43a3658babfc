"""Adapters from HTTP and the command line to the application, and the composition root."""
