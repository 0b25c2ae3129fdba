"""reset_ssh_key: add one SSH public key for the login users of an offline Linux root volume.

Runs on the helper instance as root (Python 3.9, standard library only). See ../README.md.
"""
