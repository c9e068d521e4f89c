"""Each capability adds its own rows to the shared test `world` here, in a module of its own.

A module in this package defines `extend(world) -> None`; the `world` fixture calls every one of
them after the tenancy rows exist. Put what you create in `world.extra["<app>"]` (shared) or
`world.a.extra` / `world.b.extra` (per owner). The generic isolation test needs at least one row
of owner B for every model that a route takes by id.
"""
