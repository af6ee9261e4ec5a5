"""RoBERTa sentiment: pretrain a small RoBERTa locally, fine-tune on SST-2 and MR."""
