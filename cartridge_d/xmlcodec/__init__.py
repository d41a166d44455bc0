"""
Hardened XML parsing of request bodies and rendering of S3 response bodies (lxml).
"""
