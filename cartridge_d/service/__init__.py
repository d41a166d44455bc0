"""
twistd wiring: options, makeService, the thread pool and listeners.
"""
