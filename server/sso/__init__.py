"""Optional single sign-on (OpenID Connect) for employers that have an identity provider.

The employer's référent configures the provider (``network.sso_config``) and links each
person's first log-in (``network.sso_identity``) to one of the employer's members. The
provider proves the first factor only: accounts that use or must use two-factor log-in still
enter their code (docs/security.md, « Connexion unique (OpenID Connect) »).
"""
