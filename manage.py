#!/usr/bin/env python
import os
import sys


def needs_servers(argv):
    """Help and version only print: they start nothing. Every other command starts the
    embedded PostgreSQL / Redis first when DATABASE_URL / REDIS_URL are unset
    (practice/embedded.py): most commands touch the database, and a list of the ones
    that do would go stale. The settings themselves never start them."""
    if len(argv) < 2 or argv[1] in {"help", "version"}:
        return False
    return not {"-h", "--help", "--version"}.intersection(argv[1:])


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "practice.settings")
    if needs_servers(sys.argv):
        from practice import embedded

        embedded.ensure_started()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
