"""Least-privilege access: the role and API-key templates in security/ and installing them."""
