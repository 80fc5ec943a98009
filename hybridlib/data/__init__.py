"""Data: the one schema, languages, the dataset loaders, parallel text, download of the mirrors."""
