"""Demo business "Northwind Threads": a seeded generator and a local Shop API that serves it.

Everything in this package exists only for the demo. Delete the folder and point the sources
at real endpoints to run the project against a real shop (see `demo/README.md`).
"""
