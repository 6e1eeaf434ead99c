"""Showing candidates: 3D views, offline pages, colours and figures."""
