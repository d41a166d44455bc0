"""
The S3 protocol on twisted.web: routing, requests, errors, streaming bodies.
"""
