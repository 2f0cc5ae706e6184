"""Lambda function sources, one directory per function.

Each subdirectory is zipped as it stands into its own deployment package, so it holds only
the function's ``index.py`` (no ``__init__.py``): nothing here is imported by the constructs.
"""
