"""Read models: folds from events to SQL rows, tracked in the same transaction."""
