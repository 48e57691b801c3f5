"""`make bench`: every benchmark in this folder, one after the other."""

from bench import transaction

if __name__ == "__main__":
    transaction.main()
