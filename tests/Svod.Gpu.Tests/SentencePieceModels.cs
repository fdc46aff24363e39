using System.Diagnostics;
using System.Text;

namespace Svod.Gpu.Tests;

/// <summary>
/// Tiny SentencePiece models trained once per test class with the real <c>spm_train</c> (Debian's sentencepiece
/// package) on generated text, and <c>spm_decode</c>/<c>spm_encode</c> to compare against. When the tools are
/// missing, <see cref="Missing"/> says so (and on CI the fixture fails instead).
/// </summary>
public sealed class SentencePieceModels : IDisposable
{
    /// <summary>BPE, vocabulary 60, with a control symbol &lt;ctl&gt; and a user-defined symbol &lt;usr&gt;.</summary>
    public const string Bpe = "bpe";

    /// <summary>BPE with --byte_fallback: 256 byte pieces; rare characters are left to bytes.</summary>
    public const string ByteFallback = "bytes";

    /// <summary>BPE trained with --add_dummy_prefix=false --remove_extra_whitespaces=false.</summary>
    public const string NoDummyPrefix = "nodummy";

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private readonly TempDirectory _dir = new();
    private readonly string? _train;
    private readonly string? _decode;
    private readonly string? _encode;

    public SentencePieceModels()
    {
        _train = RequiredTool.Find("spm_train");
        _decode = RequiredTool.Find("spm_decode");
        _encode = RequiredTool.Find("spm_encode");
        if (_train is null || _decode is null || _encode is null)
        {
            Missing = "spm_train/spm_decode/spm_encode are not installed (apt-get install sentencepiece)";
            return;
        }

        var text = _dir["text.txt"];
        File.WriteAllText(text, GenerateText(), Utf8);
        Train(text, Bpe, "--vocab_size=60", "--control_symbols=<ctl>", "--user_defined_symbols=<usr>");
        Train(text, ByteFallback, "--vocab_size=300", "--byte_fallback=true", "--character_coverage=0.99");
        Train(text, NoDummyPrefix, "--vocab_size=60", "--add_dummy_prefix=false", "--remove_extra_whitespaces=false");
    }

    /// <summary>Why the models could not be made, or null when they were.</summary>
    public string? Missing { get; }

    public string ModelPath(string name) => _dir[name + ".model"];

    /// <summary><c>spm_decode --input_format=id</c>: one decoded text per id sequence.</summary>
    public string[] SpmDecode(string modelPath, IReadOnlyList<int[]> sequences)
    {
        var input = string.Concat(sequences.Select(ids => string.Join(' ', ids) + "\n"));
        var output = Run(_decode!, input, $"--model={modelPath}", "--input_format=id");
        var lines = output.Split('\n');
        Assert.Equal(sequences.Count + 1, lines.Length); // the last line ends with '\n' too
        return lines[..^1];
    }

    /// <summary><c>spm_encode --output_format=id</c>: the ids of each sentence.</summary>
    public int[][] SpmEncode(string modelPath, IReadOnlyList<string> sentences)
    {
        var output = Run(_encode!, string.Concat(sentences.Select(s => s + "\n")), $"--model={modelPath}",
            "--output_format=id");
        return
        [
            .. output.Split('\n')[..^1].Select(line =>
                line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray()),
        ];
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>Pseudo-Russian words from 18 letters, plus a few rare characters for byte fallback to cover.</summary>
    private static string GenerateText()
    {
        const string consonants = "бвгдклмнпрст";
        const string vowels = "аеиоуя";
        string[] rare = ["ёж", "щи", "€", "😀", "中文"];
        var random = new Random(11);
        var text = new StringBuilder();
        for (var line = 0; line < 400; line++)
        {
            var words = Enumerable.Range(0, random.Next(2, 9)).Select(_ => string.Concat(
                Enumerable.Range(0, random.Next(1, 4)).Select(_ =>
                    $"{consonants[random.Next(consonants.Length)]}{vowels[random.Next(vowels.Length)]}")));
            text.Append(string.Join(' ', words));
            if (line % 100 == 7)
            {
                text.Append(' ').Append(rare[line / 100]);
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    private void Train(string text, string name, params string[] options) =>
        Run(_train!, "", [$"--input={text}", $"--model_prefix={_dir[name]}", "--model_type=bpe",
            "--hard_vocab_limit=false", "--minloglevel=2", .. options]);

    private static string Run(string program, string input, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = Utf8,
            StandardOutputEncoding = Utf8,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var writer = Task.Run(() =>
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        });
        var stdout = process.StandardOutput.ReadToEnd();
        writer.GetAwaiter().GetResult();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0,
            $"{Path.GetFileName(program)} {string.Join(' ', arguments)} exited {process.ExitCode}: {stderr.Result}");
        return stdout;
    }
}
