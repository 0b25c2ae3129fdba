"""The project's AWS emulator: moto 5.2.1 as a server, with the extensions that model what real
EC2 and SSM do (state machines, latency profiles, SSM agents that run the helper scripts,
faults). Start it with `python3 -m emulator --port N` from the repository's root; see README.md."""
