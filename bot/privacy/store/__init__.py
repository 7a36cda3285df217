"""The privacy feature's SQL: the registry of every feature's member data (`registry`), what all its entries
share (`members`), and the erasers of the features that need more than a delete or an id swap."""
