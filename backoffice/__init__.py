"""Back office: what staff do across apps (client data export and erasure, reports, the admin
at size). The top layer with ``portal``: it may import every app below it."""
