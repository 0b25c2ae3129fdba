"""python3 -m emulator --port N [--profile instant|realistic|FILE] [--time-scale X]"""
from .server import main

main()
