"""The live path: sources of event micro-batches, the incremental state they fold into, and the writer
that persists them to the store.

``liveboard.live.sources`` → ``LiveState.fold(batch)`` (``liveboard.live.state``) → the board
(``liveboard.views.board``) draws it, while ``LiveWriter`` (``liveboard.live.writer``) commits the same
batches to the store about once a second. A past session replayed from the store is the same stream
(``Replay``); the board does not know which one it is watching.
"""
