"""The developer documentation served at /developers: docs/developers/*.md rendered, with their code samples and
the error catalogue generated from the code."""
