"""lifx_script's LAN script engine: standard library only, no Home Assistant import.

Layers, each importing only the ones below it: codec (bytes <-> messages),
transport (UDP, matching, retries), script (run_with, Pipeline, limits).
"""
