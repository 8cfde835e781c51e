"""The Textual apps: ``train`` (also behind ``watch``) and, later, ``explore``."""
