"""
In-memory stand-ins and helpers shipped for tests.
"""
