"""Pure analysis functions over igraph/networkx graphs.

Nothing here touches a database, Flask or a file: graphs come in, results go
out. Weights are strengths; :func:`analysis.build.distances` converts them for
path measures. Every stochastic step takes a ``seed``.
"""
