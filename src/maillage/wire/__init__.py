"""Wire formats shared by the server and `maillage.client`; imports no Django.

One module per rule (canonical JSON, base64url, identifiers, text, certificate chain,
envelope, service-key documents); the TypeScript twins keep the same names.
"""
