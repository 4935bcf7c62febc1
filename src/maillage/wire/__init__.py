"""Wire formats shared by the server and `maillage.client`; imports no Django.

One module per rule, each with a TypeScript twin of the same name under
`frontend/src/trust/` or `frontend/src/envelope/` (docs/layout.md): errors, b64,
canonical, ids (identifiers and field checks), chain (certificates, revocation lists),
hpke, envelope (format and key-less checks), sealing, opening, service_key (documents
and grants), recipients (key directory checks). What one module uses of another is
public; `tests/vectors/` holds the two languages together.
"""
