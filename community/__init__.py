"""Functions tied to places (DESIGN.md section 3): one Django app per function, each in its
own sub-package (``community.parking`` ...). This package itself is not an app."""
