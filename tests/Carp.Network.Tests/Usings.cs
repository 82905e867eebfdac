global using Carp.Testbed;
