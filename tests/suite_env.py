"""The crypto suite this test run is in (`make test` runs every test in each: gm, then
intl), for the commands tests start with an environment of their own: it must reach
them, or they would run in the default suite whatever the run."""

from __future__ import annotations

import os

from wire.crypto.suite import DEFAULT_VARIABLE

SUITE = {DEFAULT_VARIABLE: os.environ[DEFAULT_VARIABLE]} if os.environ.get(DEFAULT_VARIABLE) else {}
