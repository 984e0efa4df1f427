#include "app/cli.hpp"

int main(int argc, char** argv) { return selfheal::app::run_cli(argc, argv); }
