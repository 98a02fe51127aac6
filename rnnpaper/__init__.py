"""rnnpaper: Elman RNN, LSTM and GRU compared on real NLP tasks, reproducibly."""

__version__ = "0.1.0"
