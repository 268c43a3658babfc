"""The read-only web pages under /ui: server-rendered, every asset served by mops itself."""
