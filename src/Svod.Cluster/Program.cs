using Svod.Cluster.Cli;

return await SvodCommandLine.RunAsync(args);
