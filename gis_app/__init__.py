"""Smart-community GIS platform: the Django project and the core app
(organizations, roles, access, audit)."""
