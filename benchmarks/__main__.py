"""`python -m benchmarks` (`make bench`): every benchmark, one after the other."""

from benchmarks import envelope

if __name__ == "__main__":
    envelope.main()
