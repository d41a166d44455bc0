"""
The `cartridge` administration command.
"""
