import ArgumentParser
import NASArch
import NASSpace
import NASSupport

struct SpaceCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "space", abstract: "Validate, show and sample search spaces.",
    subcommands: [Validate.self, Show.self, Sample.self])

  struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Check .space or .arch files; print file:line:col errors and exit non-zero on any.")
    @Argument(help: "Files to check.") var files: [String]

    func run() throws {
      var failed = 0
      for file in files {
        do {
          let space = try DSL.loadSpace(path: file)
          let size = try space.size()
          print("\(file): ok (\(space.decisions.count) decisions, \(size) architectures)")
        } catch {
          failed += 1
          printError(error.description)
        }
      }
      if failed > 0 { throw ExitCode.failure }
    }
  }

  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a space's statements, choices and exact size.")
    @Argument(help: "A .space file.") var file: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
      let space = try CLI.loadSpace(file)
      let summary = try SpaceSummary(space)
      print(json ? try JSONOutput.document(summary) : summary.text())
    }
  }

  struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print random architectures of a space in canonical form.")
    @Argument(help: "A .space file.") var file: String
    @Option(parsing: .unconditional, help: "Random seed.") var seed: UInt64 = 0
    @Option(parsing: .unconditional, help: "How many architectures.") var count = 1

    func validate() throws { try OptionChecks.positive(count, "--count") }

    func run() throws {
      let space = try CLI.loadSpace(file)
      var rng = SeededGenerator(seed: seed)
      for i in 0..<count {
        let arch = try space.sample(using: &rng)
        if i > 0 { print("") }
        print("# sample \(i + 1) of \(count), seed \(seed), hash \(arch.canonicalHash)")
        print(arch.canonicalText(), terminator: "")
      }
    }
  }
}

func printError(_ message: String) {
  var stderr = StandardError()
  print(message, to: &stderr)
}

struct StandardError: TextOutputStream {
  mutating func write(_ string: String) {
    FileHandleWriter.writeStderr(string)
  }
}
