"""brokers/paper"""
