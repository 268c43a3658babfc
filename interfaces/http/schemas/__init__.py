"""Request bodies: pydantic models that forbid unknown fields."""
