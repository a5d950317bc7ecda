"""The dashboard's pages: public ones (no login) and the staff portal."""
