"""boxoffice: sell concert tickets fairly under a rush."""

__version__ = "0.1.0"
