"""Entry point of the zipapp and of `python3 -m reset_ssh_key`."""
import sys

from reset_ssh_key.main import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
