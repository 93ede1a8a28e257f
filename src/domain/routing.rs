//! Rule-table routing (issue 3): being written.
