using System.CommandLine;
using Svod.Cluster.Configuration;
using Svod.Gpu.Wfst;

namespace Svod.Cluster.Cli;

/// <summary>The options of <c>svod decode</c> for CTC models and decoding graphs.</summary>
internal sealed class WfstCliOptions
{
    public Option<string?> Graph { get; } = new("--graph")
    {
        Description = "Decoding graph (TLG/HCLG: OpenFst binary vector or const FST, or text) whose input labels are " +
            "CTC class + 1: decode with a lattice search against it instead of greedy CTC.",
    };

    public Option<string?> Words { get; } = new("--words")
    {
        Description = "OpenFst symbol table of the graph's output labels (words.txt), for the text; without it the " +
            "text is the word ids.",
    };

    public Option<bool> LogProbs { get; } = new("--log-probs")
    {
        Description = "The .npy files hold CTC log-probabilities [T, classes] (as log_softmax gives them), not " +
            "encoder frames; --model is then only needed for greedy decoding's tokenizer.",
    };

    public Option<float?> Beam { get; } = new("--beam")
    {
        Description = "Search beam (cost). Default: svod.decoding.wfst.beam (15).",
    };

    public Option<int?> MaxActive { get; } = CliOptions.PositiveIntSetting("--max-active",
        "Soft cap on active tokens per frame.", "svod.decoding.wfst.max-active");

    public Option<float?> LatticeBeam { get; } = new("--lattice-beam")
    {
        Description = "Lattice beam (cost) of --lattice-out. Default: svod.decoding.wfst.lattice-beam (10).",
    };

    public Option<float?> AcousticScale { get; } = new("--acoustic-scale")
    {
        Description = "Scale of the log-probs against graph costs. Default: svod.decoding.wfst.acoustic-scale (1).",
    };

    public Option<string?> LatticeOut { get; } = new("--lattice-out")
    {
        Description = "Directory for each utterance's raw lattice (arcs within the lattice beam of the best path; " +
            "weight = graph + acoustic cost): NAME.lat.txt (OpenFst text) and NAME.lat.fst (binary VectorFst).",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Graph);
        command.Options.Add(Words);
        command.Options.Add(LogProbs);
        command.Options.Add(Beam);
        command.Options.Add(MaxActive);
        command.Options.Add(LatticeBeam);
        command.Options.Add(AcousticScale);
        command.Options.Add(LatticeOut);
    }

    /// <summary>The search settings: configuration, overridden by the options given; checked.</summary>
    public WfstDecoderOptions Search(ParseResult parse, SvodSettings settings)
    {
        var config = settings.Options.Decoding.Wfst;
        var options = new WfstDecoderOptions
        {
            Beam = parse.GetValue(Beam) ?? (float)config.Beam,
            LatticeBeam = parse.GetValue(LatticeBeam) ?? (float)config.LatticeBeam,
            MaxActive = parse.GetValue(MaxActive) ?? config.MaxActive,
            MainQueueCapacity = config.MainQueueCapacity,
            AuxQueueCapacity = config.AuxQueueCapacity,
            AcousticScale = parse.GetValue(AcousticScale) ?? (float)config.AcousticScale,
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new CliException(e.Message);
        }

        return options;
    }
}
