namespace CarpPS;
