//! Admin client methods for pixi.
