namespace Switchboard.Configuration;

/// <summary>Invalid configuration: the message names the key (or file) and what is wrong with it.</summary>
public sealed class ConfigurationException(string message) : Exception(message);
