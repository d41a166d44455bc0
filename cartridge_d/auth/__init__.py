"""
Request authentication (SigV4, SigV2, aws-chunked) and payload checksums: pure functions, no Twisted.
"""
