"""autogenerate"""
