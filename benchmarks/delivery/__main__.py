"""`python -m benchmarks.delivery`: see benchmarks/delivery/__init__.py."""

from benchmarks.delivery.run import main

if __name__ == "__main__":
    main()
